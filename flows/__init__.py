import warnings

# With the `spark` extra installed, Great Expectations imports pyspark, whose pandas-version
# notice would otherwise open every command's output.
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
