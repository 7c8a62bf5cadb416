export * from './incoming-number';
export * from './match';
export * from './stored-phone';
export * from './recent-numbers';
export * from './written-forms';
