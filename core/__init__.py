"""tasksafe's library: the task model, safe storage, AppState. Knows nothing of the UI."""
