import { syncReport } from "./syncReport";
import { syncTodos } from "./syncTodos";
import { todoEvents } from "./todoEvents";
import { weeklyDigest } from "./weeklyDigest";

export default [todoEvents, syncTodos, syncReport, weeklyDigest];
