"""What the change page shows beside the diff's rows (pure): parts of a large diff, highlighted code, risk flags."""
