-- POST the one body PARAMS.body to PARAMS.path on every request.
wrk.method = "POST"
wrk.path = PARAMS.path
wrk.body = PARAMS.body
wrk.headers["Content-Type"] = "application/json"
