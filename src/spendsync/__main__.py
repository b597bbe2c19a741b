from spendsync.cli import app

app()
