"""Council decisions: proposals, per-organisation positions, quorum, outcome."""
