"""nbgrader configuration of the course (the one config file, at the course root)."""
import os

c = get_config()  # noqa: F821  (provided by nbgrader/traitlets)

c.CourseDirectory.course_id = "mi-estimation"

# Exercises use one delimiter spelling: ### BEGIN SOLUTION / ### END SOLUTION.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError(\"not written yet: replace this line with your code, then run this cell and the tests below it\")"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Autograde: a cell may take up to 2 minutes; a kernel that stops answering
# is graded zero for that cell instead of aborting the whole submission.
c.Execute.timeout = 120
c.Execute.raise_on_iopub_timeout = False
c.Execute.interrupt_on_timeout = True
# A kernel that dies, or a loop that ignores the interrupt, costs the cells
# that could not run, not the whole submission (grading/execute.py).
c.Autograde.autograde_preprocessors = [
    "grading.execute.GradingExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# A deleted test cell is put back and graded, not left as "needs manual grade".
c.OverwriteCells.add_missing_cells = True

# Feedback is written by the grader: no output of the kernel (only the grader's verdict
# of each test cell), no hidden-test source, no active content (grading/feedback.py).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "grading.feedback.GraderOnlyOutputs",
    "grading.feedback.ScrubTestCells",
    "grading.feedback.ScrubOutputs",
]

# The exchange (used by the assignment list in JupyterLab) lives inside the
# course, so that nothing needs root or /srv.  nbgrader does not create it, and
# without it formgrader and the assignment list show an exchange error.
c.Exchange.root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "exchange")
os.makedirs(c.Exchange.root, exist_ok=True)

# The grading sandbox's limits (grading/sandbox.py, SandboxLimits), here at their
# defaults: per kernel, address space, processes and threads of the job's uid,
# largest file, CPU seconds, open files, and the sizes of its /tmp and working
# folder (tmpfs: all it can write); per job, nbgrader's address space and the
# wall clock.  The per-cell time limit is Execute.timeout above.
c.SandboxLimits.memory_mb = 2048
c.SandboxLimits.nproc = 64
c.SandboxLimits.fsize_mb = 128
c.SandboxLimits.cpu_s = 1800
c.SandboxLimits.nofile = 512
c.SandboxLimits.tmp_mb = 64
c.SandboxLimits.work_mb = 256
c.SandboxLimits.job_memory_mb = 6144
c.SandboxLimits.job_wall_s = 3600
