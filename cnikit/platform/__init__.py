"""The Prismatic platform: login and tokens, the GraphQL client, import, cloud tests, execution results.

Every face goes through `PrismaticClient` (client.py); command functions and LSP/TUI handlers stay thin over it:

    from cnikit.platform.client import PrismaticClient
    from cnikit.platform.errors import PlatformError      # one-line, user-facing messages

    async with PrismaticClient.from_settings(project=root) as client:
        await client.login(open_browser, choose_tenant=...)   # PKCE in the browser, tokens to the keyring
        user = await client.me()                               # User(name, email, organization, tenantId, …)
        integration = await client.integration(integration_id) # Integration(system instance, config state, flows)
        integration_id = await client.import_integration(root, on_output=print)
        execution_id = await client.test_flow(flow.id, payload, sync=False, debug=False)
        async for event in client.follow(flow.id, execution_id):   # LogEvent | StepEvent | Finished
            ...
        executions = await client.executions(flow.id)          # newest first, last 24 h, with steps
        page = await client.logs(execution.id, after=cursor)   # LogPage(lines, cursor)
        output = await client.step_output(step)                # StepOutput(data, message)
        await client.logout()

Modules: auth.py (PKCE login, refresh, `Session`), tokens.py (keyring storage, prism config reader), client.py,
operations.py (GraphQL documents), models.py (typed results), outputs.py (step outputs), cloudtest.py (pre-flight,
follow with the adaptive cadence), importer.py (build + prism), commands.py (CLI).
"""
