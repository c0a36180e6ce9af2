// Module resolution hook: resolve @peergroup/* packages to their TypeScript sources (the "source" export condition),
// as `node --conditions=source` would, for a bin that finds no usable build.
export async function resolve(specifier, context, next) {
  if (context.conditions.includes('source')) return next(specifier, context);
  return next(specifier, { ...context, conditions: [...context.conditions, 'source'] });
}
