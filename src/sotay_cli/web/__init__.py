"""`sotay web`: the work of `sotay report` on a page in Vietnamese, served from the person's own computer.

`app.create_app` builds the Starlette application (form, results, downloads); `server.serve` runs it on
uvicorn. The figures, documents and lists come from the same library calls as the commands.
"""
