"""Health score evaluation: the churn backtest behind `steward backtest`."""
