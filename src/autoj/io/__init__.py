"""Files in and out: one record reader for every format, items and labels read from records,
results files (streamed, resumable, one setup each), output safety and data frames."""
