import crypto from 'node:crypto';

export const newRunId = () => crypto.randomUUID().replace(/-/g, '');
export const newModelId = () => `m-${crypto.randomUUID().replace(/-/g, '')}`;
export const newDatasetId = () => crypto.randomUUID().replace(/-/g, '');

const ADJECTIVES = ['agile', 'bold', 'bright', 'calm', 'clever', 'crisp', 'eager', 'gentle', 'keen', 'lucid', 'merry', 'nimble', 'quiet', 'rare', 'sleek', 'swift', 'tidy', 'vivid', 'wise', 'zesty'];
const NOUNS = ['bat', 'crane', 'deer', 'eel', 'finch', 'fox', 'gull', 'hare', 'ibis', 'jay', 'koala', 'lark', 'mole', 'newt', 'owl', 'panda', 'quail', 'robin', 'seal', 'wren'];

/** A friendly run name like MLflow's ("swift-owl-123") for runs created without one. */
export function randomRunName(): string {
  const pick = (list: string[]) => list[crypto.randomInt(list.length)];
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${crypto.randomInt(1000)}`;
}
