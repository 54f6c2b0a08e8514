"""Providers: one package per vendor (``abtasty``, ``taplytics``), the contract they implement (``base``) and
the registry that finds them (``registry``)."""
