"""grove-edge application code: plain Python modules shared by the main Worker, the Durable
Objects and the cron Worker. Only ``grove.platform`` touches the Workers platform."""
