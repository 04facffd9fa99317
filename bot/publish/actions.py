"""Identifiers of the check run's buttons (``requested_action``; GitHub allows 20 characters)."""

ACTION_ADD_REGISTRY = "add-registry"
ACTION_RECHECK = "recheck"
