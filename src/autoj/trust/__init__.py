"""Trust calibrated to people: what a few human labels say about a judge's figures, and where the
judge is not worth reading (calibration, per-group reliability)."""
