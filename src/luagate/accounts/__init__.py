"""Accounts: named credential sets per provider, stored with secrets encrypted at rest."""
