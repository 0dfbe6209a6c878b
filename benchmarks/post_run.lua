-- wrk script: POST a run with the token from $CICD_TOKEN.
wrk.method = "POST"
wrk.body = '{"branchName": "master"}'
wrk.headers["Authorization"] = "Bearer " .. os.getenv("CICD_TOKEN")
wrk.headers["Content-Type"] = "application/json"
