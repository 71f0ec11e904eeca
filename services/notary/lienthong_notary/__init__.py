"""The notary: a tamper-evident audit trail of every dossier's events."""
