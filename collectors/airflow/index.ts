export { collectAirflow } from './collect.ts'
export { createAirflowClient } from './client.ts'
