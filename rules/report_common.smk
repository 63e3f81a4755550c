# Input functions of the report rules: the whole configured grid. No rules here.


def report_settings():
    """The grid point of the main table; each ablation table varies one of these."""
    return {
        "frac": config["grid"]["fractions"][0],
        "top_k": config["retrieval"]["top_k_contexts"],
        "rrf_k": config["retrieval"]["hybrid"]["rrf_k"],
    }


def caption_files():
    """Captions of every table and figure; they live beside the workflow, not in the working directory."""
    return [
        os.path.join(workflow.basedir, "report", "captions", f"{name}.rst")
        for name in TABLE_NAMES + FIGURE_NAMES
    ]
