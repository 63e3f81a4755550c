"""Metrics: SQuAD EM/F1, contains-precision (QA) and MRR/Recall/nDCG (sentence retrieval)."""

from sesame.metrics.ir import ir_metrics, ndcg_at, recall_at, reciprocal_rank
from sesame.metrics.squad import (QAScores, contains_match, exact_match, f1_score, normalize_answer,
                                  score_predictions)

__all__ = ["ir_metrics", "ndcg_at", "recall_at", "reciprocal_rank", "QAScores", "contains_match",
           "exact_match", "f1_score", "normalize_answer", "score_predictions"]
