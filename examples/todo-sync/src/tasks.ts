import type { CrmTask, Todo } from "./client";
import { DEFAULT_FIELD_MAPPING } from "./configPages";

/** Todo field → CRM task field, as the "Field Mapping" config variable holds it. */
export type FieldMapping = Record<string, string>;

/** Parse the "Field Mapping" config variable; an empty value means the default mapping. */
export function parseFieldMapping(text: string | undefined): FieldMapping {
  if (!text || !text.trim()) {
    return { ...DEFAULT_FIELD_MAPPING };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`Field Mapping is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error('Field Mapping must be a JSON object such as {"title": "subject"}');
  }
  const mapping: FieldMapping = {};
  for (const [todoField, crmField] of Object.entries(parsed)) {
    if (typeof crmField !== "string" || !crmField) {
      throw new Error(`Field Mapping: "${todoField}" must map to a CRM field name, found ${JSON.stringify(crmField)}`);
    }
    mapping[todoField] = crmField;
  }
  return mapping;
}

/** The CRM task that mirrors `todo`. The subject always carries the prefixed title. */
export function todoToTask(todo: Todo, mapping: FieldMapping, subjectPrefix: string, queue: string): CrmTask {
  const subject = `${subjectPrefix} ${todo.title}`.trim();
  const task: CrmTask = { externalId: todo.id, subject, status: todo.completed ? "closed" : "open", queue };
  const fields = todo as unknown as Record<string, unknown>;
  for (const [todoField, crmField] of Object.entries(mapping)) {
    const value = todoField === "title" ? subject : fields[todoField];
    if (value !== undefined && value !== null) {
      task[crmField] = value;
    }
  }
  return task;
}

/** Case-insensitive header lookup: senders do not agree on header case. */
export function header(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const found = Object.keys(headers).find((key) => key.toLowerCase() === wanted);
  return found === undefined ? undefined : headers[found];
}

/** A webhook body as an object: JSON bodies arrive parsed, but test payloads may carry a JSON string. */
export function bodyObject(data: unknown): Record<string, unknown> {
  if (typeof data === "string") {
    try {
      data = JSON.parse(data);
    } catch {
      return {};
    }
  }
  return typeof data === "object" && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
}
