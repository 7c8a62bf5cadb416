export * from './incoming-number';
export * from './match';
export * from './stored-phone';
