"""The AB Tasty / Taplytics API emulator (stands on its own reading of the API documents)."""
