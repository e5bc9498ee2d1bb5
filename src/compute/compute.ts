/** A compute target as stored: a local pool (local, amlcompute) or a compute instance. */
export interface Compute {
  name: string;
  type: string;
  max_instances: number;
  description?: string;
  tags?: Record<string, string>;
  size?: string;
  created_at: number;
  /** Who created it. */
  created_by?: string;
}
