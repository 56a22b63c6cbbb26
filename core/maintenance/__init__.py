"""What looks at kept copies and damaged files: backups, doctor, salvage."""
