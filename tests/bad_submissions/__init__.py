"""A corpus of bad (and good) submissions of the demo course, built on demand."""
