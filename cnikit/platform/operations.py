"""The GraphQL documents cnikit sends to `<stack>/api`: the official extension's (A.13) and prism's (B.3), verbatim
in operation name, variables and selection, so the platform sees exactly what the official tools send."""

from __future__ import annotations

GET_AUTHENTICATED_USER = """
query GetAuthenticatedUser {
  authenticatedUser { name email tenantId org { name } customer { name } }
}
"""

LIST_USER_TENANTS = """
query ListUserTenants {
  listUserTenants { nodes { tenantId url orgName awsRegion } }
}
"""

GET_INTEGRATION = """
query GetIntegration($integrationId: ID!) {
  integration(id: $integrationId) {
    systemInstance {
      id
      configState
      configVariables {
        nodes {
          id
          status
          authorizeUrl
          inputs { nodes { name value hasValue } }
          requiredConfigVariable {
            key
            stableKey
            dataType
            onPremiseConnectionConfig
            connection {
              key
              oauth2Type
              component { key label forCodeNativeIntegration }
              inputs { nodes { key label type } }
            }
            scopedConfigVariable {
              id
              variableScope
              managedBy
              connection { key label component { label forCodeNativeIntegration } }
              customerConfigVariables(isTest: true) {
                nodes { status inputs { nodes { name value hasValue } } }
              }
            }
          }
        }
      }
    }
    flows { nodes { id name stableKey isSynchronous usesFifoQueue endpointSecurityType testUrl } }
  }
}
"""

TEST_INTEGRATION_FLOW = """
mutation TestIntegrationFlow($flowId: ID!, $payload: String, $contentType: String, $headers: String) {
  testIntegrationFlow(input: { id: $flowId, payload: $payload, contentType: $contentType, headers: $headers }) {
    errors { field messages }
    testIntegrationFlowResult { execution { id } }
  }
}
"""

GET_EXECUTION_RESULTS = """
query GetExecutionResults($cursor: String, $endedDate: DateTime, $flowId: ID, $limit: Int, $startedDate: DateTime) {
  executionResults(
    after: $cursor
    first: $limit
    flowConfig_Flow: $flowId
    orderBy: { field: STARTED_AT, direction: DESC }
    startedAt_Gte: $startedDate
    startedAt_Lte: $endedDate
  ) {
    nodes {
      id
      invokeType
      startedAt
      resultType
      endedAt
      error
      stepResults(first: 10, orderBy: { field: STARTED_AT, direction: ASC }) {
        nodes { id startedAt endedAt stepName displayStepName hasError resultsMetadataUrl resultsUrl }
      }
    }
  }
}
"""

GET_EXECUTION_LOGS = """
query GetExecutionLogs($after: String, $executionId: ID!, $startedDate: DateTime) {
  logs(
    after: $after
    executionResult: $executionId
    first: 100
    orderBy: { direction: ASC, field: TIMESTAMP }
    timestamp_Gte: $startedDate
  ) {
    nodes { message severity stepName timestamp }
    pageInfo { endCursor hasNextPage }
  }
}
"""

GET_STEP_RESULT_META = """
query GetStepResultMeta($executionId: ID!, $startedAt: DateTime, $endedAt: DateTime) {
  stepResults(startedAt_Gte: $startedAt, endedAt_Gte: $endedAt, executionResult: $executionId) {
    nodes { id resultsMetadataUrl resultsUrl }
  }
}
"""
