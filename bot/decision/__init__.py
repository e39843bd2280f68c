"""The calibrated decision: answer, suggest or fall back (`model.py`), fitted by `fit.py`."""
