"""Churn and expansion likelihood: point-in-time features (dbt mart fct_account_features_daily),
labels from billing, calibrated scikit-learn models, per-account drivers, scoring and model cards."""
