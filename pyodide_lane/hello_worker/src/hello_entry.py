"""The smallest Python Worker: one fixed plain-text response for every request."""

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("Hello, world!", headers={"content-type": "text/plain; charset=utf-8"})
