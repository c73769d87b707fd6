"""The auth service: accounts, passwords, access and refresh tokens, the JWKS."""
