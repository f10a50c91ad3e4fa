"""Day-ahead forecasts for the dispatcher (issue 13 §1): see docs/forecast.md."""
