"""Host drivers: processes, files, disk, CPU and memory."""
