import { flow } from "@prismatic-io/spectral";
import type { Todo } from "../client";
import { bodyObject, header, parseFieldMapping, todoToTask } from "../tasks";

const CHALLENGE_HEADER = "x-todo-challenge";
const EVENT_TYPES = ["todo.created", "todo.updated", "todo.completed", "todo.deleted"];

/**
 * The Todo app's webhook. When a subscription is created the app sends a verification request with a challenge
 * header that must be echoed back; every other request is an event, acknowledged at once with 202.
 */
export const todoEvents = flow({
  name: "Todo Events",
  stableKey: "todo-events",
  description: "Receives the Todo app's webhook events and answers its verification challenge",
  onTrigger: async (context, payload) => {
    const challenge = header(payload.headers, CHALLENGE_HEADER);
    if (challenge) {
      context.logger.info("Answering the Todo app's webhook verification challenge");
      return { payload, response: { statusCode: 200, contentType: "text/plain", body: challenge } };
    }
    const body = JSON.stringify({ accepted: true, executionId: context.executionId });
    return { payload, response: { statusCode: 202, contentType: "application/json", body } };
  },
  onExecution: async (context, params) => {
    const payload = params.onTrigger.results;
    if (header(payload.headers, CHALLENGE_HEADER)) {
      return { data: { verified: true } };
    }
    const event = bodyObject(payload.body.data);
    const type = String(event.type ?? "");
    if (!EVENT_TYPES.includes(type)) {
      context.logger.warn(`Ignoring event of unknown type "${type}"; expected one of ${EVENT_TYPES.join(", ")}`);
      return { data: { ignored: type } };
    }
    const todo = event.todo as Todo;
    const mapping = parseFieldMapping(context.configVars["Field Mapping"]);
    const task = todoToTask(todo, mapping, context.configVars["Task Subject Prefix"], context.configVars["CRM Queue"]);
    context.logger.info(`${type} for todo ${todo.id}: CRM task "${task.subject}" follows with the next sync`);
    return { data: { event: type, todoId: todo.id, task } };
  },
});
