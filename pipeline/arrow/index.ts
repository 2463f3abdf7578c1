// The Arrow feature-file layer: public API (see README "Feature files and shards").
export { writeFeatureFile, FeatureFileWriter } from './feature_file_writer.ts';
export type { FeatureFileOptions, FeatureFileWriterOptions, PlainColumn } from './feature_file_writer.ts';
export { readFeatureFile, openFeatureFile, FeatureFileError } from './feature_file_reader.ts';
export type { FeatureFile, FeatureFileContents, RowReadOptions } from './feature_file_reader.ts';
export type { DecodedRow, DecodedLayout } from './decode_row.ts';
export type { FeatureColumnSpec, PlainColumnType, PlainValue } from './column_types.ts';
export { DurableFile, writeFileDurably, isTemporaryName } from './durable_file.ts';
export { RowEncoder, messageLengths } from './row_encoder.ts';
export { EncodedFeatureFileWriter } from './encoded_file_writer.ts';
