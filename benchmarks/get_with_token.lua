-- wrk script: GET with the token from $CICD_TOKEN.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("CICD_TOKEN")
