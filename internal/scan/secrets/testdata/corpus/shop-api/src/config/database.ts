import { DataSourceOptions } from 'typeorm';

export interface DbSettings {
  host: string;
  port: number;
  username: string;
  password: string;
}

export const dataSource: DataSourceOptions = {
  type: 'postgres',
  host: process.env.PGHOST ?? 'localhost',
  port: 5432,
  username: 'shop_app',
  password: process.env.PGPASSWORD ?? '',
  database: 'shop',
  ssl: { rejectUnauthorized: false },
};

export const reportingUrl =
  'postgresql://reporting_ro:TP2GuaEsSuFfGuL8Op@analytics-db.acme.internal:5432/warehouse?sslmode=require';
