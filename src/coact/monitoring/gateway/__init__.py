"""The asyncio HJ 212 gateway (handler and simulator import no Django)."""
