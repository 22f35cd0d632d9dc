// Packages that ship no TypeScript types.
declare module 'dynalite';
declare module 'asl-validator';
