"""A scripted browser for login tests."""

from __future__ import annotations

import httpx


class Browser:
    """The user's browser: opens the authorize URL and follows the redirect to cnikit's loopback server."""

    def __init__(self) -> None:
        self.visited: list[str] = []
        self.pages: list[str] = []

    async def __call__(self, url: str) -> None:
        self.visited.append(url)
        async with httpx.AsyncClient(follow_redirects=True, timeout=10) as http:
            response = await http.get(url)
        self.pages.append(response.text)
