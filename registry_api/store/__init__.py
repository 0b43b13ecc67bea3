"""What the API stores beside its tables: record contents sealed under data keys kept apart."""
