/**
 * The designer's port types: every module port is a folder (uri_folder), and its component's
 * description of it starts with the designer type it holds. The canvas joins only ports of one type.
 */
export type Port = 'dataset' | 'untrained_model' | 'model' | 'evaluation';

export const PORT_DESCRIPTIONS: Record<Port, string> = {
  dataset: 'DataFrameDirectory: data.parquet and _schema.json',
  untrained_model: 'UntrainedModelDirectory: learner.json',
  model: 'ModelDirectory: an MLflow model and designer.json',
  evaluation: 'EvaluationDirectory: evaluation.json and the metrics as a dataset',
};

/** The designer type of a port, from its component's description of it. */
export function portType(description: string | undefined): Port | undefined {
  return (Object.keys(PORT_DESCRIPTIONS) as Port[]).find((p) => description?.startsWith(PORT_DESCRIPTIONS[p].split(':')[0]));
}
