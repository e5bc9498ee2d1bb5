/**
 * The designer's built-in modules, as Azure ML's designer names them, shipped as ordinary command
 * components (`azureml:builtin.<module>@latest` in any pipeline YAML) and registered in every
 * workspace when it opens. Each runs python/stratus_designer in the curated stratus-designer
 * environment; its parameters are literal inputs with Azure's names and defaults. Datasets pass
 * between modules as folders of Parquet with a schema, models as folders (a learner's settings
 * untrained, an MLflow model trained).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ComponentSpec } from '../specs/pipeline-types.ts';
import { HARNESS } from '../util/python-harness.ts';
import { PORT_DESCRIPTIONS, type Port } from './ports.ts';

/** The namespace of every built-in component's name. */
export const BUILTIN_PREFIX = 'builtin.';

type Param = { type: 'string' | 'number' | 'integer' | 'boolean'; default?: string | number | boolean; enum?: string[]; optional?: boolean; description?: string };

export interface ModuleDef {
  /** Azure's display name, e.g. "Select Columns in Dataset". */
  title: string;
  category: 'Data Input and Output' | 'Data Transformation' | 'Machine Learning Algorithms' | 'Model Training' | 'Model Scoring & Evaluation' | 'Python Language' | 'Statistical Functions';
  description: string;
  /** Data inputs by name, with their designer type; `?` ends an optional one's type. */
  inputs: Record<string, Port | `${Port}?`>;
  params: Record<string, Param>;
  outputs: Record<string, Port>;
}

const text = (description: string, dflt = ''): Param => ({ type: 'string', default: dflt, description });
/** A parameter with no default: the module does not run without it. */
const required = (description: string): Param => ({ type: 'string', description });
const choice = (values: string[], dflt = values[0]): Param => ({ type: 'string', default: dflt, enum: values });
const num = (dflt: number): Param => ({ type: 'number', default: dflt });
const int = (dflt: number): Param => ({ type: 'integer', default: dflt });
const bool = (dflt: boolean): Param => ({ type: 'boolean', default: dflt });
const COLUMNS = 'columns: names separated by commas, or Azure\'s column-selector JSON ({"rules": [{"ruleType": "ColumnNames", "columns": [...]}]}); empty means all';

const learner = (title: string, description: string, params: Record<string, Param>): ModuleDef => ({
  title, category: 'Machine Learning Algorithms', description, inputs: {}, params, outputs: { untrained_model: 'untrained_model' },
});

export const MODULES: Record<string, ModuleDef> = {
  enter_data_manually: {
    title: 'Enter Data Manually', category: 'Data Input and Output', description: 'A small dataset typed in as CSV or TSV.',
    inputs: {}, params: { data_format: choice(['CSV', 'TSV']), has_header: bool(true), data: required('the rows; a header line first when has_header is true') }, outputs: { dataset: 'dataset' },
  },
  import_data: {
    title: 'Import Data', category: 'Data Input and Output', description: 'A dataset from a data asset, a CSV at a URL, or a SQL query over the workspace (docs/sql.md).',
    inputs: { input_data: 'dataset?' }, params: { data_source: choice(['Data asset', 'URL', 'SQL query']), url: text('a CSV file\'s URL'), sql_query: text('a query over the workspace\'s data assets') }, outputs: { output_data: 'dataset' },
  },
  select_columns_in_dataset: {
    title: 'Select Columns in Dataset', category: 'Data Transformation', description: 'Keeps the chosen columns, in the order chosen.',
    inputs: { dataset: 'dataset' }, params: { select_columns: text(COLUMNS) }, outputs: { results_dataset: 'dataset' },
  },
  edit_metadata: {
    title: 'Edit Metadata', category: 'Data Transformation', description: 'Renames columns, changes their type, marks the label.',
    inputs: { dataset: 'dataset' },
    params: {
      column: text(COLUMNS), data_type: choice(['Unchanged', 'String', 'Integer', 'Floating point', 'Boolean', 'DateTime']),
      categorical: choice(['Unchanged', 'Make categorical']), fields: choice(['Unchanged', 'Label', 'Clear label']), new_column_names: text('new names separated by commas, one per chosen column'),
    },
    outputs: { results_dataset: 'dataset' },
  },
  clean_missing_data: {
    title: 'Clean Missing Data', category: 'Data Transformation', description: 'Replaces or removes missing values.',
    inputs: { dataset: 'dataset' },
    params: {
      columns_to_be_cleaned: text(COLUMNS), minimum_missing_value_ratio: num(0), maximum_missing_value_ratio: num(1),
      cleaning_mode: choice(['Custom substitution value', 'Replace with mean', 'Replace with median', 'Replace with mode', 'Remove entire row', 'Remove entire column']),
      replacement_value: text('the value for Custom substitution value', '0'),
    },
    outputs: { cleaned_dataset: 'dataset' },
  },
  normalize_data: {
    title: 'Normalize Data', category: 'Data Transformation', description: 'Rescales numeric columns (the label is left alone).',
    inputs: { dataset: 'dataset' }, params: { transformation_method: choice(['ZScore', 'MinMax', 'Logistic', 'LogNormal', 'Tanh']), columns_to_transform: text(COLUMNS) }, outputs: { transformed_dataset: 'dataset' },
  },
  split_data: {
    title: 'Split Data', category: 'Data Transformation', description: 'Divides the rows in two.',
    inputs: { dataset: 'dataset' },
    params: {
      splitting_mode: choice(['Split Rows']), fraction_of_rows_in_the_first_output_dataset: num(0.5), randomized_split: bool(true), random_seed: int(0),
      stratified_split: bool(false), stratification_key_column: text('the column whose values both parts keep in proportion'),
    },
    outputs: { results_dataset1: 'dataset', results_dataset2: 'dataset' },
  },
  remove_duplicate_rows: {
    title: 'Remove Duplicate Rows', category: 'Data Transformation', description: 'Keeps one row per key.',
    inputs: { dataset: 'dataset' }, params: { key_column_selection_filter_expression: text(COLUMNS), retain_first_duplicate_row: bool(true) }, outputs: { results_dataset: 'dataset' },
  },
  join_data: {
    title: 'Join Data', category: 'Data Transformation', description: 'Joins two datasets on key columns.',
    inputs: { left_dataset: 'dataset', right_dataset: 'dataset' },
    params: {
      join_key_columns_for_left_dataset: text(COLUMNS), join_key_columns_for_right_dataset: text(COLUMNS), match_case: bool(true),
      join_type: choice(['Inner Join', 'Left Outer Join', 'Full Outer Join', 'Left Semi-Join']), keep_right_key_columns_in_joined_table: bool(true),
    },
    outputs: { results_dataset: 'dataset' },
  },
  apply_sql_transformation: {
    title: 'Apply SQL Transformation', category: 'Data Transformation', description: 'A SQL query (DuckDB) over t1, t2 and t3.',
    inputs: { t1: 'dataset', t2: 'dataset?', t3: 'dataset?' }, params: { sql_query_script: text('a query over t1, t2, t3', 'select * from t1;') }, outputs: { result_dataset: 'dataset' },
  },
  execute_python_script: {
    title: 'Execute Python Script', category: 'Python Language', description: 'azureml_main(dataframe1, dataframe2) returning a DataFrame.',
    inputs: { dataframe1: 'dataset?', dataframe2: 'dataset?' },
    params: { python_script: text('defines azureml_main(dataframe1 = None, dataframe2 = None)', 'import pandas as pd\n\ndef azureml_main(dataframe1 = None, dataframe2 = None):\n    return dataframe1,\n') },
    outputs: { result_dataset: 'dataset' },
  },
  summarize_data: {
    title: 'Summarize Data', category: 'Statistical Functions', description: 'Per column: count, unique and missing values, min, max, mean, median, standard deviation.',
    inputs: { dataset: 'dataset' }, params: {}, outputs: { result_dataset: 'dataset' },
  },
  two_class_logistic_regression: learner('Two-Class Logistic Regression', 'Logistic regression for two classes.', { optimization_tolerance: num(1e-7), l2_regularization_weight: num(1) }),
  multiclass_logistic_regression: learner('Multiclass Logistic Regression', 'Logistic regression for many classes.', { optimization_tolerance: num(1e-7), l2_regularization_weight: num(1) }),
  two_class_boosted_decision_tree: learner('Two-Class Boosted Decision Tree', 'Gradient-boosted trees (LightGBM).', {
    maximum_number_of_leaves_in_one_tree: int(20), minimum_number_of_samples_per_leaf_node: int(10), learning_rate: num(0.2), number_of_trees_constructed: int(100),
  }),
  two_class_decision_forest: learner('Two-Class Decision Forest', 'A random forest.', { number_of_decision_trees: int(8), maximum_depth_of_the_decision_trees: int(32), minimum_number_of_samples_per_leaf_node: int(1) }),
  two_class_neural_network: learner('Two-Class Neural Network', 'A multilayer perceptron.', { number_of_hidden_nodes: int(100), the_learning_rate: num(0.1), number_of_learning_iterations: int(100) }),
  two_class_support_vector_machine: learner('Two-Class Support Vector Machine', 'A linear SVM.', { number_of_iterations: int(1000), lambda: num(0.001) }),
  linear_regression: learner('Linear Regression', 'Least squares with L2 regularization.', { l2_regularization_weight: num(0.001), include_intercept_term: bool(true) }),
  boosted_decision_tree_regression: learner('Boosted Decision Tree Regression', 'Gradient-boosted trees (LightGBM).', {
    maximum_number_of_leaves_in_one_tree: int(20), minimum_number_of_samples_per_leaf_node: int(10), learning_rate: num(0.2), total_number_of_trees_constructed: int(100),
  }),
  decision_forest_regression: learner('Decision Forest Regression', 'A random forest.', { number_of_decision_trees: int(8), maximum_depth_of_the_decision_trees: int(32), minimum_number_of_samples_per_leaf_node: int(1) }),
  poisson_regression: learner('Poisson Regression', 'Counts: a Poisson GLM.', { optimization_tolerance: num(1e-7), l2_regularization_weight: num(1) }),
  add_rows: {
    title: 'Add Rows', category: 'Data Transformation', description: 'The rows of two datasets with the same columns, one after the other.',
    inputs: { dataset1: 'dataset', dataset2: 'dataset' }, params: {}, outputs: { results_dataset: 'dataset' },
  },
  add_columns: {
    title: 'Add Columns', category: 'Data Transformation', description: 'The columns of two datasets with the same number of rows, side by side.',
    inputs: { left_dataset: 'dataset', right_dataset: 'dataset' }, params: {}, outputs: { combined_dataset: 'dataset' },
  },
  clip_values: {
    title: 'Clip Values', category: 'Data Transformation', description: 'Replaces values above or below a threshold (a constant or a percentile).',
    inputs: { dataset: 'dataset' },
    params: {
      set_of_thresholds: choice(['ClipPeaks', 'ClipSubpeaks', 'ClipPeaksAndSubpeaks']), list_of_columns: text(COLUMNS), threshold: choice(['Constant', 'Percentile']),
      constant_value_for_upper_threshold: num(99), constant_value_for_lower_threshold: num(0), percentile_value_for_upper_threshold: num(99), percentile_value_for_lower_threshold: num(1),
      upper_substitute_value: choice(['Threshold', 'Mean', 'Median', 'Missing']), lower_substitute_value: choice(['Threshold', 'Mean', 'Median', 'Missing']), overwrite_flag: bool(true),
    },
    outputs: { results_dataset: 'dataset' },
  },
  convert_to_indicator_values: {
    title: 'Convert to Indicator Values', category: 'Data Transformation', description: 'One 0/1 column per value of each categorical column.',
    inputs: { dataset: 'dataset' }, params: { categorical_columns_to_convert: text(COLUMNS), overwrite_categorical_columns: bool(false) }, outputs: { results_dataset: 'dataset' },
  },
  group_data_into_bins: {
    title: 'Group Data into Bins', category: 'Data Transformation', description: 'Numeric columns as bin numbers (quantiles or equal width).',
    inputs: { dataset: 'dataset' },
    params: { columns_to_bin: text(COLUMNS), binning_mode: choice(['Quantiles', 'Equal Width']), number_of_bins: int(10), output_mode: choice(['Append', 'Inplace', 'ResultOnly']) },
    outputs: { quantized_dataset: 'dataset' },
  },
  partition_and_sample: {
    title: 'Partition and Sample', category: 'Data Transformation', description: 'A random sample of the rows, or the first ones.',
    inputs: { dataset: 'dataset' },
    params: { partition_or_sample_mode: choice(['Sampling', 'Head']), rate_of_sampling: num(0.01), random_seed_for_sampling: int(0), number_of_rows_to_select: int(10) },
    outputs: { outputdataset: 'dataset' },
  },
  smote: {
    title: 'SMOTE', category: 'Data Transformation', description: 'More rows of the rarest class, made between its nearest neighbours (imbalanced-learn).',
    inputs: { samples: 'dataset' }, params: { label_column: required('the class column'), smote_percentage: int(100), number_of_nearest_neighbors: int(1), random_seed: int(0) },
    outputs: { table: 'dataset' },
  },
  execute_r_script: {
    title: 'Execute R Script', category: 'Python Language', description: 'azureml_main <- function(dataframe1, dataframe2) returning a data.frame, in the host\'s R.',
    inputs: { dataframe1: 'dataset?', dataframe2: 'dataset?' },
    params: { r_script: text('defines azureml_main <- function(dataframe1, dataframe2)', 'azureml_main <- function(dataframe1, dataframe2){\n  return(list(dataset1 = dataframe1))\n}\n') },
    outputs: { result_dataset: 'dataset' },
  },
  naive_bayes: learner('Naive Bayes', 'Gaussian naive Bayes.', { variance_smoothing: num(1e-9) }),
  tune_model_hyperparameters: {
    title: 'Tune Model Hyperparameters', category: 'Model Training', description: 'A random sweep of the learner\'s settings, 3-fold cross-validated; the best refitted.',
    inputs: { untrained_model: 'untrained_model', training_dataset: 'dataset' },
    params: {
      label_column: required('the column to predict'), maximum_number_of_runs_on_random_sweep: int(5), random_seed: int(0),
      metric_for_measuring_performance_for_classification: choice(['Accuracy', 'Precision', 'Recall', 'F-score', 'AUC']),
      metric_for_measuring_performance_for_regression: choice(['Mean absolute error', 'Root of mean squared error', 'Coefficient of determination']),
    },
    outputs: { sweep_results: 'dataset', trained_best_model: 'model' },
  },
  cross_validate_model: {
    title: 'Cross Validate Model', category: 'Model Scoring & Evaluation', description: 'The learner trained and scored on each of k folds: the scores and each fold\'s metrics.',
    inputs: { untrained_model: 'untrained_model', dataset: 'dataset' }, params: { label_column: required('the column to predict'), number_of_folds: int(10), random_seed: int(0) },
    outputs: { scored_results: 'dataset', evaluation_results_by_fold: 'dataset' },
  },
  permutation_feature_importance: {
    title: 'Permutation Feature Importance', category: 'Model Scoring & Evaluation', description: 'How much the metric drops when each feature\'s values are shuffled.',
    inputs: { trained_model: 'model', test_data: 'dataset' },
    params: { random_seed: int(0), metric_for_measuring_performance: choice(['Accuracy', 'Precision', 'Recall', 'F-score', 'AUC', 'Mean absolute error', 'Root of mean squared error', 'Coefficient of determination']) },
    outputs: { feature_importance: 'dataset' },
  },
  k_means_clustering: {
    ...learner('K-Means Clustering', 'Groups rows into k clusters around centres (scikit-learn\'s KMeans); trained by Train Clustering Model.', {
      number_of_centroids: int(2), initialization: choice(['K-Means++', 'Random']), random_number_seed: text('a whole number for repeatable centres'),
      metric: choice(['Euclidean']), normalize_features: bool(true), iterations: int(100),
    }),
  },
  train_clustering_model: {
    title: 'Train Clustering Model', category: 'Model Training', description: 'Fits K-Means to the chosen columns; the rows with their cluster assignments too.',
    inputs: { untrained_model: 'untrained_model', dataset: 'dataset' },
    params: { column_set: text(COLUMNS), check_for_append_or_uncheck_for_result_only: bool(true) },
    outputs: { trained_model: 'model', results_dataset: 'dataset' },
  },
  assign_data_to_clusters: {
    title: 'Assign Data to Clusters', category: 'Model Scoring & Evaluation', description: 'Each row\'s cluster (Assignments) and its distance to every centre.',
    inputs: { trained_model: 'model', dataset: 'dataset' }, params: { check_for_append_or_uncheck_for_result_only: bool(true) }, outputs: { results_dataset: 'dataset' },
  },
  train_model: {
    title: 'Train Model', category: 'Model Training', description: 'Fits an untrained model to a dataset\'s label column.',
    inputs: { untrained_model: 'untrained_model', dataset: 'dataset' }, params: { label_column: required('the column to predict') }, outputs: { trained_model: 'model' },
  },
  score_model: {
    title: 'Score Model', category: 'Model Scoring & Evaluation', description: 'Adds Scored Labels (and Scored Probabilities) to a dataset.',
    inputs: { trained_model: 'model', dataset: 'dataset' }, params: { append_score_columns_to_output: bool(true) }, outputs: { scored_dataset: 'dataset' },
  },
  evaluate_model: {
    title: 'Evaluate Model', category: 'Model Scoring & Evaluation', description: 'Accuracy, precision, recall, F1, AUC, ROC and PR curves, the confusion matrix; for regression the errors and residuals.',
    inputs: { scored_dataset: 'dataset', scored_dataset_to_compare: 'dataset?' }, params: {}, outputs: { evaluation_results: 'evaluation' },
  },
};

/** The command component a module is. */
export function moduleComponent(name: string, def: ModuleDef, version: string): ComponentSpec {
  const inputs: ComponentSpec['inputs'] = {};
  for (const [input, port] of Object.entries(def.inputs)) {
    const optional = port.endsWith('?');
    inputs[input] = { type: 'uri_folder', description: PORT_DESCRIPTIONS[port.replace('?', '') as Port], ...(optional ? { optional: true } : {}) };
  }
  for (const [param, p] of Object.entries(def.params)) inputs[param] = { ...p, ...(p.default === '' ? { optional: true } : {}) };
  return {
    type: 'command', name: `${BUILTIN_PREFIX}${name}`, version, display_name: def.title, description: def.description,
    tags: { 'stratus.designer.category': def.category },
    inputs,
    outputs: Object.fromEntries(Object.entries(def.outputs).map(([o, port]) => [o, { type: 'uri_folder', description: PORT_DESCRIPTIONS[port] }])),
    command: `python -m stratus_designer.run ${name}`,
    environment: { kind: 'curated', name: 'stratus-designer' },
    environment_variables: { PYTHONPATH: HARNESS },
    is_deterministic: true,
  };
}

/** What registers the modules: the workspace's component service. */
export interface ComponentRegistry {
  create(spec: ComponentSpec): Promise<unknown>;
}

/** The Python that runs every module: part of what each module is. */
function implementationDigest(): string {
  const dir = path.join(HARNESS, 'stratus_designer');
  const hash = createHash('sha256');
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.py')).sort()) hash.update(f).update(fs.readFileSync(path.join(dir, f)));
  return hash.digest('hex');
}

/**
 * Registers every module in the workspace. A module's version is the digest of what it is (its
 * definition and the Python that runs it), so a changed module is a new version (`@latest`), and
 * a pipeline step is never reused from a run of different code; an unchanged one is registered once.
 */
export async function registerBuiltinModules(components: ComponentRegistry): Promise<void> {
  const code = implementationDigest();
  for (const [name, def] of Object.entries(MODULES)) {
    const version = createHash('sha256').update(JSON.stringify(def)).update(code).digest('hex').slice(0, 12);
    await components.create(moduleComponent(name, def, version));
  }
}
