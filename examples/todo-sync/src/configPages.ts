import { configPage, configVar, connectionConfigVar, dataSourceConfigVar } from "@prismatic-io/spectral";

/** CRM queues a synced task can land in. The CRM's plans fix these, so the list needs no API call. */
export const CRM_QUEUES = [
  { key: "sales", label: "Sales" },
  { key: "support", label: "Customer Support" },
  { key: "success", label: "Customer Success" },
  { key: "operations", label: "Operations" },
];

/** How todo fields map to CRM task fields, unless the customer edits it in the config wizard. */
export const DEFAULT_FIELD_MAPPING = {
  title: "subject",
  notes: "description",
  dueDate: "dueDate",
  assignee: "ownerEmail",
};

export const configPages = {
  Connections: configPage({
    tagline: "Connect your Todo API and CRM accounts",
    elements: {
      "Todo API Connection": connectionConfigVar({
        stableKey: "todo-api-connection",
        dataType: "connection",
        inputs: {
          baseUrl: {
            label: "Todo API base URL",
            type: "string",
            required: true,
            default: "https://todo.example.com/api/v1",
            comments: "The base URL of your Todo workspace's REST API",
          },
          apiKey: {
            label: "API key",
            type: "password",
            required: true,
            comments: "Create one under Settings > API keys in the Todo app",
          },
        },
      }),
      "CRM Connection": connectionConfigVar({
        stableKey: "crm-connection",
        dataType: "connection",
        inputs: {
          baseUrl: {
            label: "CRM API base URL",
            type: "string",
            required: true,
            default: "https://crm.example.com/api",
          },
          apiToken: {
            label: "API token",
            type: "password",
            required: true,
            comments: "A CRM API token allowed to create and update tasks",
          },
        },
      }),
    },
  }),
  "Sync Options": configPage({
    tagline: "Choose how todos become CRM tasks",
    elements: {
      "Sync Options Help":
        "<h2>Sync options</h2><p>Every todo becomes a CRM task. Completed todos can close, delete or leave their task.</p>",
      "CRM Queue": dataSourceConfigVar({
        stableKey: "crm-queue",
        dataSourceType: "picklist",
        description: "The CRM queue new tasks are assigned to",
        perform: async () => ({ result: CRM_QUEUES }),
      }),
      "Completed Todo Action": configVar({
        stableKey: "completed-todo-action",
        dataType: "picklist",
        pickList: ["Close task", "Delete task", "Leave open"],
        defaultValue: "Close task",
        description: "What happens to a CRM task when its todo is completed",
      }),
      "Sync Completed Todos": configVar({
        stableKey: "sync-completed-todos",
        dataType: "boolean",
        defaultValue: true,
        description: "Also sync todos that were already completed",
      }),
      "Task Subject Prefix": configVar({
        stableKey: "task-subject-prefix",
        dataType: "string",
        defaultValue: "Todo:",
        description: "Text put in front of every CRM task subject",
      }),
      "Digest Schedule": configVar({
        stableKey: "digest-schedule",
        dataType: "schedule",
        defaultValue: "0 8 * * 1",
        timeZone: "America/Chicago",
        description: "When the weekly sync digest is logged",
      }),
      "Field Mapping": configVar({
        stableKey: "field-mapping",
        dataType: "code",
        codeLanguage: "json",
        defaultValue: JSON.stringify(DEFAULT_FIELD_MAPPING, null, 2),
        description: "Todo field → CRM task field",
      }),
    },
  }),
};
