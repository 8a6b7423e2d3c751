"""Aircall: calls, contacts, users and phone numbers of an Aircall company account."""
