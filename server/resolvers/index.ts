import type { Resolvers } from './generated/resolvers.js';
import { Mutation } from './mutation.js';
import { Query } from './query.js';
import { Subscription } from './subscription.js';
import { typeResolvers } from './types.js';

/** Every resolver of the schema. */
export const resolvers: Resolvers = { ...typeResolvers, Query, Mutation, Subscription };
