# Runs one sp_execute_external_script's R script, as SQL Server's launchpad does.
#
# Rscript external_script.R <job.json>: the input query's rows arrive as a CSV file and become a
# data.frame named input_data_1_name (default InputDataSet); the declared parameters are
# variables; what the script leaves in output_data_1_name (default OutputDataSet) is written back
# as CSV. print()/cat() output is returned as the query's messages. Stratus caps memory and CPU
# time with prlimit before R starts.
job <- jsonlite::fromJSON(commandArgs(trailingOnly = TRUE)[1], simplifyVector = TRUE)
env <- new.env(parent = globalenv())
for (name in names(job[["params"]])) assign(name, job[["params"]][[name]], envir = env)
if (!is.null(job[["input"]])) {
  assign(job[["input_name"]], utils::read.csv(job[["input"]], stringsAsFactors = FALSE, check.names = FALSE), envir = env)
}
failed <- NULL
printed <- utils::capture.output(
  tryCatch(eval(parse(text = job[["script"]]), envir = env),
           error = function(e) failed <<- conditionMessage(e))
)
writeLines(printed, job[["messages"]])
if (!is.null(failed)) {
  cat("Error in the R script: ", failed, "\n", sep = "", file = stderr())
  quit(status = 1)
}
if (exists(job[["output_name"]], envir = env, inherits = FALSE)) {
  out <- get(job[["output_name"]], envir = env)
  if (!is.data.frame(out)) {
    cat(job[["output_name"]], " must be a data.frame, but the script left a ", class(out)[1], ".\n", sep = "", file = stderr())
    quit(status = 2)
  }
  utils::write.csv(out, job[["output"]], row.names = FALSE)
}
