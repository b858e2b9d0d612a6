"""Generic plumbing every app may use; like a library, it knows no app."""
