import { util, type Connection } from "@prismatic-io/spectral";
import { createClient, type HttpClient } from "@prismatic-io/spectral/dist/clients/http";

/** A todo as the Todo API returns it. */
export interface Todo {
  id: string;
  listId: string;
  title: string;
  notes?: string | null;
  completed: boolean;
  dueDate?: string | null;
  assignee?: string | null;
  updatedAt: string;
}

/** One page of `GET /todos`. */
interface TodoPage {
  items: Todo[];
  nextPage: number | null;
}

/** A CRM task, in the CRM's field names (the field mapping config variable decides which todo field goes where). */
export type CrmTask = Record<string, unknown> & { externalId: string; subject: string; status: "open" | "closed" };

const PAGE_SIZE = 100;
const MAX_PAGES = 50; // a runaway cursor must not keep a scheduled execution busy for its whole 15 minutes

/** An HTTP client for the Todo API, authorised by the connection's API key. */
export function todoClient(connection: Connection): HttpClient {
  return createClient({
    baseUrl: util.types.toString(connection.fields.baseUrl),
    headers: {
      Authorization: `Bearer ${util.types.toString(connection.fields.apiKey)}`,
      Accept: "application/json",
    },
    timeout: 15000,
  });
}

/** An HTTP client for the CRM, authorised by the connection's API token. */
export function crmClient(connection: Connection): HttpClient {
  return createClient({
    baseUrl: util.types.toString(connection.fields.baseUrl),
    headers: {
      "X-Api-Token": util.types.toString(connection.fields.apiToken),
      Accept: "application/json",
    },
    timeout: 15000,
  });
}

/** Every todo changed after `since` (all of them when `since` is null), following the API's pages. */
export async function listTodosChangedSince(client: HttpClient, since: string | null): Promise<Todo[]> {
  const todos: Todo[] = [];
  let page: number | null = 1;
  for (let fetched = 0; page !== null && fetched < MAX_PAGES; fetched += 1) {
    const params: Record<string, string | number> = { page, pageSize: PAGE_SIZE };
    if (since) {
      params.updatedSince = since;
    }
    const response: { data: TodoPage } = await client.get<TodoPage>("/todos", { params });
    todos.push(...response.data.items);
    page = response.data.nextPage;
  }
  return todos;
}

/** Create or update the CRM task that mirrors a todo (the CRM upserts by external id). */
export async function upsertTask(client: HttpClient, task: CrmTask): Promise<void> {
  await client.put(`/tasks/by-external-id/${encodeURIComponent(task.externalId)}`, task);
}

/** Delete the CRM task that mirrors a todo; a task that is already gone is fine. */
export async function deleteTask(client: HttpClient, externalId: string): Promise<void> {
  await client.delete(`/tasks/by-external-id/${encodeURIComponent(externalId)}`, {
    validateStatus: (status) => status < 300 || status === 404,
  });
}
