"""Every figure, computed in one place: agreement, consistency, win rates, length control,
correlations and their intervals. bench, evaluate and report print these, under these names."""
